// An independent client of dcid: @grpc/grpc-js and @grpc/proto-loader with
// the project's .proto files, no generated code and none of dci's C++.
//
//   node subscribe.js ADDRESS SINCE COUNT
// Subscribes after SINCE, prints each of the next COUNT events as one JSON
// line, and exits 0; exits 1 on any error or after 20 s.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, since, count] = process.argv.slice(2);
const protos = path.join(__dirname, '..', '..', 'protos');
const def = protoLoader.loadSync('dci/v1/service.proto', {
  includeDirs: [protos],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const dci = grpc.loadPackageDefinition(def).dci.v1;
const client = new dci.Dci(address, grpc.credentials.createInsecure());

const want = Number(count);
let got = 0;
const timer = setTimeout(() => {
  console.error(`timed out after ${got} of ${want} events`);
  process.exit(1);
}, 20000);
const call = client.Subscribe({ since: String(since) });
call.on('data', (msg) => {
  if (msg.message !== 'event') return;
  const e = msg.event;
  console.log(JSON.stringify({ seq: e.seq, kind: e.kind, name: e.name, tag: e.tag,
                               image: e.image, old_image: e.oldImage,
                               files_added: e.drift ? e.drift.filesAdded : 0 }));
  if (++got === want) {
    clearTimeout(timer);
    call.cancel();
    process.exit(0);
  }
});
call.on('error', (err) => {
  if (err.code === grpc.status.CANCELLED) return;
  console.error(`stream error: ${err.message}`);
  process.exit(1);
});
