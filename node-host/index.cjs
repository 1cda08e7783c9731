// The CommonJS entry (`require('resilient-api-client')` in Node): the ESM entry has no top-level
// await, so Node's require(esm) loads it and both module systems share one engine and one
// ApiError class. Node versions without require(esm) get a message that says what to do.
'use strict';

try {
  module.exports = require('./node.js');
} catch (err) {
  if (err && err.code === 'ERR_REQUIRE_ESM') {
    throw new Error(
      `resilient-api-client: require() needs Node >= 20.19 or >= 22.12 (this is ${process.version}); `
        + "use import, or await import('resilient-api-client')",
      { cause: err },
    );
  }
  throw err;
}
