#!/usr/bin/env node
// The robustlab kernel: tslab's kernel with its ZeroMQ sends put in order, one at a time.
//
// tslab (1.0.22) calls `socket.send()` for every message without waiting for the previous one. zeromq.js 6
// allows one send in progress per socket and rejects the next with "Socket is busy writing" (EBUSY); tslab does
// not catch it, so a burst of output (progress bars, tables, console lines) while the Jupyter client is slow to
// read killed a cell with an unhandled rejection (seen in notebook 02 on 2026-12-01). Here every socket's sends
// go through a chain: each starts when the previous one has settled, in call order, so the messages and their
// order are kept. Usage (kernel.json argv): node kernel-setup/kernel.cjs kernel
// --config-path {connection_file}.
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tslabMain = require.resolve('tslab/dist/main.js', { paths: [root] });
const zmq = require(require.resolve('zeromq', { paths: [path.dirname(tslabMain)] }));

/**
 * Gives the class an own `send` that runs one socket's sends one after another. zeromq defines `send` on its
 * native Socket prototype as read-only, so the wrapper is defined on the subclass's prototype, shadowing it.
 */
function serialiseSends(cls) {
  const proto = cls.prototype;
  const send = proto.send;
  if (typeof send !== 'function' || send.robustlabSerialised) return;
  const tails = new WeakMap();
  const serialised = function (msg) {
    const prev = tails.get(this) ?? Promise.resolve();
    const next = prev.then(() => send.call(this, msg));
    // The chain goes on after a failed send; the caller still sees the failure on `next`.
    tails.set(this, next.catch(() => undefined));
    return next;
  };
  serialised.robustlabSerialised = true;
  Object.defineProperty(proto, 'send', { value: serialised, writable: false, configurable: true });
}

serialiseSends(zmq.Publisher);
serialiseSends(zmq.Router);
serialiseSends(zmq.Reply);

// IOPub is a PUB socket, which drops messages beyond its send high-water mark (1,000 by default) without a
// word: a burst of output lost most of its lines (1,246 of 6,000 arrived in the test). No limit here: the
// messages wait in memory until the client reads them. tslab constructs its sockets from this module object.
class UnboundedPublisher extends zmq.Publisher {
  constructor(opts = {}) {
    super({ sendHighWaterMark: 0, ...opts });
  }
}
zmq.Publisher = UnboundedPublisher;
require(tslabMain).main();
