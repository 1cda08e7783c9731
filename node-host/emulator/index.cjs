// require('resilient-api-client/emulator'): the ESM emulator through Node's require(esm).
'use strict';

module.exports = require('./index.js');
