// Types for /vendor/marked.js, which the server serves from the installed `marked` package.
export * from 'marked';
