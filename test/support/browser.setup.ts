// A browser test drives a real Chromium against the real server; each step can take a few seconds on a busy machine.
jest.setTimeout(60_000);
