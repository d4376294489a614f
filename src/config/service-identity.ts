// The service's name and version come from package.json, where npm and
// `npm run new-service` keep them. esbuild inlines the JSON (the whole file,
// about 3 KB) into the bundle, so a cold start reads no extra file for it and
// the image needs no copy of package.json. The tsc output imports it at run
// time: dist-tsc/config/ sits as deep as src/config/, so the same relative
// path reaches the same package.json.
import packageJson from '../../package.json' with { type: 'json' }

export const PACKAGE_NAME: string = packageJson.name
export const PACKAGE_VERSION: string = packageJson.version
