// The compiled addon (node-gyp puts it in build/Release). CommonJS so that ESM callers
// can load it with createRequire and get one clear error when it was not built.
module.exports = require('./build/Release/sipprot_native.node');
