// Types for /vendor/purify.js, which the server serves from the installed `dompurify` package.
export * from 'dompurify';
export { default } from 'dompurify';
