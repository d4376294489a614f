// The package's name and version, as constants rather than a runtime read of
// package.json: that read would cost a file-system lookup on every cold start
// and would not survive bundling. test/unit/service-identity.test.ts keeps
// these equal to package.json.
export const PACKAGE_NAME = 'hello-cloud-run'
export const PACKAGE_VERSION = '0.1.0'
