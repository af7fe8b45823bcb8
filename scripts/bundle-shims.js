// Injected into the bundles by scripts/bundle.js (esbuild's `inject`): the values that bundled modules would
// otherwise take from their own file, given once for the bundle file.
import { pathToFileURL } from 'node:url';

/** The bundle's folder; each bundled module's own `__dirname` is computed from it. */
export const __bundleDirname = __dirname;

/** `import.meta.url` of the bundled ES modules. */
export const __bundleImportMetaUrl = pathToFileURL(__filename).href;

/** `import.meta.resolve` of the bundled ES modules: packages resolve from the bundle's place, beside node_modules. */
export const __bundleImportMetaResolve = (specifier) => pathToFileURL(require.resolve(specifier)).href;
