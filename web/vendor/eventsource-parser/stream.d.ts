// Types for /vendor/eventsource-parser/stream.js, which the server serves from the installed package.
export * from 'eventsource-parser/stream';
