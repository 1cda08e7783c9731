// require('resilient-api-client/emulator/openai-mock'): the ESM mock through Node's require(esm).
'use strict';

module.exports = require('./openai-mock.js');
