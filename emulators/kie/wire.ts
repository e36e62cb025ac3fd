/**
 * KIE's wire format, in one place: the `code`/`msg`/`data` envelope, the recordInfo record, the
 * callback body and the webhook signature. Field names, messages and codes are the ones KIE's
 * documentation shows (docs.kie.ai: "Get Task Details", the Market model pages' "Callback
 * Notifications", "Webhook Security Verification", "Getting Started").
 */
import { createHmac } from 'node:crypto';

export type KieTaskState = 'waiting' | 'queuing' | 'generating' | 'success' | 'fail';

/** Every KIE answer. `data` is absent from the auth refusal, as in KIE's own example. */
export interface Envelope {
  code: number;
  msg: string;
  data?: unknown;
}

export const KIE_CODES = {
  ok: 200,
  badRequest: 400,
  unauthorized: 401,
  notFound: 404,
  validation: 422,
  generationFailed: 501,
} as const;

export const KIE_MESSAGES = {
  ok: 'success',
  unauthorized: 'You do not have access permissions',
  /** recordInfo's answer for a task id it does not know. */
  unknownTask: 'recordInfo is null',
  taskIdMissing: 'taskId parameter is required',
  callbackSuccess: 'Playground task completed successfully.',
  callbackFail: 'Playground task failed.',
} as const;

/** The failCode KIE's failure examples carry. */
export const FAIL_CODE = '500';

/** What the wire format needs to know about a task. */
export interface TaskFacts {
  taskId: string;
  model: string;
  state: KieTaskState;
  /** The createTask request body as JSON text: KIE echoes all of it, not only `input`. */
  param: string;
  resultUrls: readonly string[];
  failMsg: string | null;
  /** Unix milliseconds, like every KIE timestamp. */
  createTime: number;
  updateTime: number;
  completeTime: number | null;
}

/**
 * `data` of recordInfo. `resultJson` is JSON *text*, present once the task succeeded; failCode and
 * failMsg are empty strings unless it failed; costTime is milliseconds.
 */
export function recordInfoData(task: TaskFacts): Record<string, unknown> {
  const failed = task.state === 'fail';
  return {
    taskId: task.taskId,
    model: task.model,
    state: task.state,
    param: task.param,
    resultJson: task.state === 'success' ? JSON.stringify({ resultUrls: task.resultUrls }) : null,
    failCode: failed ? FAIL_CODE : '',
    failMsg: failed ? (task.failMsg ?? '') : '',
    costTime: task.completeTime === null ? null : task.completeTime - task.createTime,
    completeTime: task.completeTime,
    createTime: task.createTime,
    updateTime: task.updateTime,
  };
}

/**
 * The body KIE POSTs to `callBackUrl` when a task finishes: code 200 and "Playground task completed
 * successfully." on success, code 501 and "Playground task failed." with failCode/failMsg on failure.
 */
export function callbackBody(task: TaskFacts, credits: { consumeCredits: number; remainedCredits: number }): Envelope {
  const success = task.state === 'success';
  const record = recordInfoData(task);
  const data: Record<string, unknown> = {
    completeTime: record.completeTime,
    consumeCredits: credits.consumeCredits,
    costTime: record.costTime,
    createTime: record.createTime,
    ...(success ? {} : { failCode: record.failCode, failMsg: record.failMsg }),
    model: record.model,
    param: record.param,
    remainedCredits: credits.remainedCredits,
    ...(success ? { resultJson: record.resultJson } : {}),
    state: record.state,
    taskId: record.taskId,
    updateTime: record.updateTime,
  };
  return success
    ? { code: KIE_CODES.ok, data, msg: KIE_MESSAGES.callbackSuccess }
    : { code: KIE_CODES.generationFailed, data, msg: KIE_MESSAGES.callbackFail };
}

/**
 * `X-Webhook-Signature` of a callback: base64(HMAC-SHA256(taskId + "." + timestampSeconds, key)),
 * where timestampSeconds is the `X-Webhook-Timestamp` header sent with it.
 */
export function webhookSignature(taskId: string, timestampSeconds: number, webhookHmacKey: string): string {
  return createHmac('sha256', webhookHmacKey).update(`${taskId}.${timestampSeconds}`).digest('base64');
}
