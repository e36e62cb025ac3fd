/**
 * The bot's single entrypoint (entrypoint.blessed in product/truth.yaml). The service itself is
 * the subject of an open issue; until it lands, starting it says so instead of pretending.
 */
process.stderr.write('trt-bot: the bot service is not built yet (see the open bot-core issue); nothing was started\n');
process.exitCode = 2;
