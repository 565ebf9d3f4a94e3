// Starts telegram-test-api (a local Bot API emulator) for the end-to-end tests.
// Usage: node tests/telegram/start_peer.js PORT
// Prints "ready" once listening; stops on SIGTERM. The departures from the real Bot API are
// smoothed over by tests/telegram/bot_api_proxy.py, which the bot talks to instead.
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });

// A failed webhook delivery is an unhandled rejection inside the emulator; keep running and
// let the test see the missing reply instead of losing the whole peer.
process.on('unhandledRejection', (error) => {
  console.error(`peer: ${error && error.message}`);
});

server.start().then(() => console.log('ready'));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
