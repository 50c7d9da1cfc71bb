// Apollo Client, unchanged, with its automatic-persisted-queries link,
// against Lienthong. The first request sends only the query's hash; the
// hub answers PERSISTED_QUERY_NOT_FOUND, the link resends with the
// document; a second client then runs it by the hash alone.
//
//   LIENTHONG_URL=http://127.0.0.1:8080 LIENTHONG_TOKEN=<a token> node apollo-persisted.mjs
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { createHash } from 'node:crypto';

const url = process.env.LIENTHONG_URL ?? 'http://127.0.0.1:8080';
const token = process.env.LIENTHONG_TOKEN;
if (!token) {
  console.error('set LIENTHONG_TOKEN (e.g. `lienthong token --agency UBND-68`)');
  process.exit(2);
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const sent = [];
const recordingFetch = (uri, options) => {
  sent.push(JSON.parse(options.body));
  return fetch(uri, options);
};

function client() {
  const http = new HttpLink({
    uri: `${url}/graphql`,
    headers: { authorization: `Bearer ${token}` },
    fetch: recordingFetch,
  });
  return new ApolloClient({
    link: createPersistedQueryLink({ sha256 }).concat(http),
    cache: new InMemoryCache(),
  });
}

const WHO = gql`
  query WhoAmI {
    me { agencyCode scopes }
  }
`;

function check(condition, message) {
  if (!condition) {
    console.error(`FAILED: ${message}`);
    console.error(JSON.stringify(sent, null, 2));
    process.exit(1);
  }
}

const first = await client().query({ query: WHO, fetchPolicy: 'no-cache' });
check(first.data?.me?.agencyCode, 'the first query has data');
check(sent.length === 2, `the first query took two requests (hash, then document), took ${sent.length}`);
check(!sent[0].query && sent[0].extensions?.persistedQuery?.sha256Hash, 'the first request sent only the hash');
check(sent[1].query, 'the second request sent the document');

const before = sent.length;
const second = await client().query({ query: WHO, fetchPolicy: 'no-cache' });
check(second.data?.me?.agencyCode === first.data.me.agencyCode, 'the second client has the same data');
check(sent.length === before + 1 && !sent[before].query, 'the second client sent the hash alone, once');

console.log(`apollo persisted queries: ok (${first.data.me.agencyCode}; ${sent.length} requests, the last by hash alone)`);
