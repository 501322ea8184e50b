/** The package version (platform/version.ts reads it once from package.json). */
export { VERSION } from '../platform/version.js';
