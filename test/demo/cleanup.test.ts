/**
 * The demo's cleanup stack: newest first, each thing once, a start still in flight stopped once
 * it settles, nothing new after the stop began, one failing stop not blocking the others.
 */
import { expect, it } from 'vitest';
import { CleanupStack, DemoInterrupted } from '../../cli/demo/cleanup.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

it('stops newest first, each once, however often it is asked', async () => {
  const stopped: string[] = [];
  const stack = new CleanupStack();
  stack.add('folder', async () => void stopped.push('folder'));
  await stack.start('database', async () => 'db', async (value) => void stopped.push(value));
  stack.add('bot', async () => void stopped.push('bot'));

  const [first, second] = await Promise.all([stack.stopAll(), stack.stopAll()]);
  await stack.stopAll();

  expect(stopped).toEqual(['bot', 'db', 'folder']);
  expect(first).toEqual([]);
  expect(second).toBe(first);
  expect(stack.running).toEqual([]);
});

it('goes on after a stop that fails, and says which one', async () => {
  const stopped: string[] = [];
  const stack = new CleanupStack();
  stack.add('folder', async () => void stopped.push('folder'));
  stack.add('bot', async () => {
    throw new Error('would not die');
  });

  expect(await stack.stopAll()).toEqual([{ what: 'bot', message: 'would not die' }]);
  expect(stopped).toEqual(['folder']);
});

it('stops a start still in flight once it completes, and refuses anything new', async () => {
  const stopped: string[] = [];
  const stack = new CleanupStack();
  const database = deferred<string>();
  const starting = stack.start('database', () => database.promise, async (value) => void stopped.push(value));
  expect(stack.running).toEqual(['database']);

  const stopping = stack.stopAll();
  expect(stack.stopping).toBe(true);
  expect(() => stack.add('bot', async () => undefined)).toThrow(DemoInterrupted);
  await expect(stack.start('emulator', async () => 'emulator', async () => undefined)).rejects.toThrow(DemoInterrupted);

  database.resolve('db');
  await starting;
  expect(await stopping).toEqual([]);
  expect(stopped).toEqual(['db']);
});

it('forgets a start that failed: there is nothing of it to stop', async () => {
  const stack = new CleanupStack();
  await expect(stack.start('database', async () => Promise.reject(new Error('initdb failed')), async () => undefined)).rejects.toThrow('initdb failed');
  expect(stack.running).toEqual([]);
});

it('kills synchronously, newest first, what has a kill, and leaves nothing to stop after', async () => {
  const killed: string[] = [];
  const stack = new CleanupStack();
  stack.add('folder', async () => undefined, () => killed.push('folder'));
  await stack.start('bot', async () => 'bot', async () => undefined, (value) => killed.push(value));
  stack.add('emulator', async () => undefined);

  stack.killAll();

  expect(killed).toEqual(['bot', 'folder']);
  expect(stack.running).toEqual([]);
  expect(await stack.stopAll()).toEqual([]);
});
