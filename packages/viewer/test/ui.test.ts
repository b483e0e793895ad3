// End-to-end: the UI in real headless Chromium (Debian's package, driven by playwright-core).
// Screenshots go to test-artifacts/viewer/ at the repository root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, launch } from './support/browser.js';
import { hexId, otlpJson, span, testViewer } from './support/viewer.js';

function demoTrace() {
  const traceId = hexId(16);
  const start = BigInt(Date.now()) * 1_000_000n;
  const t = (ms: number) => String(start + BigInt(ms * 1_000_000));
  const root = span(traceId, {
    name: 'POST /orders',
    kind: 2,
    startTimeUnixNano: t(0),
    endTimeUnixNano: t(40),
    attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }],
  });
  const fetchSpan = span(traceId, { name: 'POST', kind: 3, parentSpanId: root.spanId, startTimeUnixNano: t(5), endTimeUnixNano: t(30) });
  const quote = span(traceId, {
    name: 'POST /quotes',
    kind: 2,
    parentSpanId: fetchSpan.spanId,
    startTimeUnixNano: t(8),
    endTimeUnixNano: t(28),
    attributes: [{ key: 'quote.item', value: { stringValue: '<b>decline-me</b>' } }],
    status: { code: 2, message: 'quote declined' },
    events: [
      {
        name: 'exception',
        timeUnixNano: t(20),
        attributes: [
          { key: 'exception.type', value: { stringValue: 'QuoteDeclined' } },
          { key: 'exception.stacktrace', value: { stringValue: 'QuoteDeclined: no\n    at quote (shipping.js:12:5)' } },
        ],
      },
    ],
  });
  const sql = span(traceId, {
    name: 'SELECT orders',
    kind: 3,
    parentSpanId: root.spanId,
    startTimeUnixNano: t(31),
    endTimeUnixNano: t(38),
  });
  return {
    traceId,
    ids: { root: root.spanId, fetch: fetchSpan.spanId, quote: quote.spanId, sql: sql.spanId },
    requests: [otlpJson('orders', [root, fetchSpan, sql]), otlpJson('shipping', [quote])],
  };
}

test("the UI finds a trace, shows its waterfall nested, and a span's attributes and exception", async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const viewer = await testViewer();
  try {
    // Some unrelated traffic so the search has something to filter out.
    for (let i = 0; i < 3; i++) {
      await fetch(`${viewer.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(otlpJson('noise', [span(hexId(16))])),
      });
    }
    const trace = demoTrace();
    for (const body of trace.requests) {
      await fetch(`${viewer.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on(
      'request',
      (r) => !r.url().startsWith(viewer.uiUrl) && !r.url().startsWith('data:') && problems.push(`external request ${r.url()}`),
    );

    await page.goto(viewer.uiUrl);
    await page.waitForSelector('select[name=service] option[value=orders]', { state: 'attached' });
    await page.selectOption('select[name=service]', 'orders');
    await page.check('input[name=error]');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 1 && location.hash.includes('service=orders'));
    const result = page.locator('.result');
    assert.match(await result.innerText(), /orders: POST \/orders/);
    assert.match(await result.innerText(), /4 spans/);
    assert.match(await result.innerText(), /1 error/);
    assert.match(await result.innerText(), /40\.0 ms/);
    await page.screenshot({ path: `${ARTIFACTS}search.png` });

    await result.locator('a').click();
    await page.waitForSelector('.waterfall .row');
    const rows = await page.$$eval('.waterfall .row', (els) =>
      els.map((el) => [el.getAttribute('data-span-id'), el.getAttribute('aria-level')]),
    );
    assert.deepEqual(rows, [
      [trace.ids.root, '1'],
      [trace.ids.fetch, '2'],
      [trace.ids.quote, '3'],
      [trace.ids.sql, '2'],
    ]);
    assert.equal(await page.locator('.row.has-error').count(), 1);

    await page.click(`.row[data-span-id="${trace.ids.quote}"]`);
    const details = page.locator('.details');
    await details.locator('h2', { hasText: 'POST /quotes' }).waitFor();
    // The waterfall's outline has no attributes: the span's own arrive when it is selected.
    await page.waitForSelector('.details[aria-busy="false"]');
    const text = await details.innerText();
    assert.match(text, /shipping/);
    assert.match(text, /ERROR: quote declined/);
    // User data is shown as text, never parsed as HTML.
    assert.match(text, /<b>decline-me<\/b>/);
    assert.equal(await details.locator('b').count(), 0);
    assert.match(await details.locator('.stack').innerText(), /at quote \(shipping\.js:12:5\)/);
    await page.screenshot({ path: `${ARTIFACTS}trace.png` });

    // Keyboard: collapse the root with ArrowLeft hides its descendants.
    await page.click(`.row[data-span-id="${trace.ids.root}"]`);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelectorAll('.waterfall .row').length === 1);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelectorAll('.waterfall .row').length === 4);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-span-id')), trace.ids.fetch);

    // Live: a late span of this trace appears without a reload.
    await fetch(`${viewer.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        otlpJson('worker', [span(trace.traceId, { name: 'process confirmations', kind: 5, parentSpanId: trace.ids.sql })]),
      ),
    });
    await page.waitForFunction(() => document.querySelectorAll('.waterfall .row').length === 5, undefined, { timeout: 5000 });

    // Logs next to spans: records of this trace appear live, under the trace and in their span's details.
    const now = String(BigInt(Date.now()) * 1_000_000n);
    await fetch(`${viewer.otlpHttpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: now,
                    severityNumber: 9,
                    severityText: 'info',
                    body: { stringValue: 'order received' },
                    traceId: trace.traceId,
                    spanId: trace.ids.root,
                  },
                ],
              },
            ],
          },
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shipping' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: now,
                    severityNumber: 17,
                    severityText: 'error',
                    traceId: trace.traceId,
                    spanId: trace.ids.quote,
                    body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: '<i>declined</i>' } }] } },
                    attributes: [{ key: 'quote.reason', value: { stringValue: 'blocked item' } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    await page.waitForFunction(() => document.querySelectorAll('.trace-logs .log').length === 2, undefined, { timeout: 5000 });
    assert.equal(await page.locator(`.row[data-span-id="${trace.ids.quote}"] .log-mark`).innerText(), '1 log');
    const errorLog = page.locator('.trace-logs .log-error');
    assert.match(await errorLog.innerText(), /shipping/);
    assert.match(await errorLog.innerText(), /\{"msg":"<i>declined<\/i>"\}/);
    assert.equal(await errorLog.locator('i').count(), 0, 'a log body is shown as text');
    await errorLog.locator('button', { hasText: 'span' }).click();
    await details.locator('h2', { hasText: 'POST /quotes' }).waitFor();
    assert.match(await details.innerText(), /Logs \(1\)/);
    await page.screenshot({ path: `${ARTIFACTS}trace-logs.png`, fullPage: true });

    // The logs page: the error record found by severity, linked to its trace.
    await page.click('nav a[href="#/logs"]');
    await page.waitForSelector('.logs-page .log');
    await page.selectOption('select[name=severity]', 'error');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => location.hash.includes('severity=error') && document.querySelectorAll('.logs-page .log').length === 1);
    // A record from outside any trace appears on the open page without a reload.
    await fetch(`${viewer.otlpHttpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'worker' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                    severityNumber: 21,
                    severityText: 'fatal',
                    body: { stringValue: 'queue connection lost' },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    await page.waitForFunction(() => document.querySelectorAll('.logs-page .log').length === 2, undefined, { timeout: 5000 });
    assert.match(await page.locator('.logs-page .log').first().innerText(), /fatal\s+worker\s+queue connection lost/);
    await page.screenshot({ path: `${ARTIFACTS}logs.png` });
    await page.click('.logs-page .log-error a.log-trace');
    await page.waitForSelector(`.row.selected[data-span-id="${trace.ids.quote}"]`);

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${ARTIFACTS}trace-dark.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await viewer.close();
  }
});
