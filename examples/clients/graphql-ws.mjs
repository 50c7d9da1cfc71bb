// The graphql-ws client, unchanged, against Lienthong's /graphql/ws: a
// query over the socket, then a subscription to the land register's
// changes that sees a parcel registered over HTTP.
//
//   LIENTHONG_URL=http://127.0.0.1:8080 LIENTHONG_TOKEN=<a BNNMT token> node graphql-ws.mjs
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.LIENTHONG_URL ?? 'http://127.0.0.1:8080';
const token = process.env.LIENTHONG_TOKEN;
if (!token) {
  console.error('set LIENTHONG_TOKEN to a token of the land owner (`lienthong token --agency BNNMT`)');
  process.exit(2);
}

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}
const timer = setTimeout(() => fail('no answer within 20 s'), 20_000);

const client = createClient({
  url: `${url.replace(/^http/, 'ws')}/graphql/ws`,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

function once(payload) {
  return new Promise((resolve, reject) => {
    let result;
    client.subscribe(payload, {
      next: (value) => { result = value; },
      error: reject,
      complete: () => resolve(result),
    });
  });
}

const me = await once({ query: '{ me { agencyCode } }' });
if (me.errors || !me.data?.me?.agencyCode) fail(`the query over the socket: ${JSON.stringify(me)}`);

const event = new Promise((resolve, reject) => {
  const stop = client.subscribe(
    { query: 'subscription { changes(dataset: LAND) { entity key op } }' },
    {
      next: (value) => {
        if (value.errors) reject(new Error(JSON.stringify(value.errors)));
        else if (value.data.changes.key === wanted) { stop(); resolve(value.data.changes); }
      },
      error: reject,
      complete: () => {},
    },
  );
});
// The subscription starts listening before the write.
await new Promise((r) => setTimeout(r, 500));
const sheet = 900 + Math.floor(Math.random() * 99);
const number = Math.floor(Math.random() * 9_000) + 1;
const wanted = `24778-${sheet}-${number}`;
const write = await fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({
    query: `mutation ($sheet: Int!, $n: Int!) { registerLandParcel(input: { communeCode: "24778",
      mapSheet: $sheet, parcelNumber: $n, areaM2: 500, landUse: ODT, addressLine: "Thôn 2" }) { landParcel { id } } }`,
    variables: { sheet, n: number },
  }),
}).then((r) => r.json());
if (write.errors) fail(`the write: ${JSON.stringify(write.errors)}`);
if (write.data.registerLandParcel.landParcel.id !== wanted) fail(`unexpected parcel id ${JSON.stringify(write)}`);

const change = await event.catch((e) => fail(`the subscription: ${e.message ?? e}`));
clearTimeout(timer);
await client.dispose();
console.log(`graphql-ws: ok (${me.data.me.agencyCode}; ${change.op} ${change.entity} ${change.key})`);
