// OpenTelemetry names to Prometheus names (the specification's Prometheus and OpenMetrics
// compatibility rules): invalid characters become `_`, the unit becomes a word suffix (s → seconds,
// By → bytes, 1 → ratio for gauges, {request} dropped, a/b → a_per_b), counters end in `_total`.

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function cleanName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');
}

/** The unit as a Prometheus word suffix, or '' when it has none. */
export function unitSuffix(unit: string, gauge: boolean): string {
  const plain = unit.replace(/\{[^}]*\}/g, '').trim();
  if (plain === '') return '';
  if (plain === '1') return gauge ? 'ratio' : '';
  const slash = plain.indexOf('/');
  if (slash !== -1) {
    const over = plain.slice(0, slash);
    const under = plain.slice(slash + 1);
    const overWord = over === '' || over === '1' ? '' : (UNIT_WORDS[over] ?? cleanName(over));
    const underWord = PER_UNIT_WORDS[under] ?? UNIT_WORDS[under] ?? cleanName(under);
    return [overWord, `per_${underWord}`].filter(Boolean).join('_');
  }
  return UNIT_WORDS[plain] ?? cleanName(plain);
}

export interface PrometheusName {
  /** The metric family's name: what # TYPE and # HELP name (for a counter in OpenMetrics, without `_total`). */
  family: string;
  /** The sample name for counters (family + `_total`), or the family itself. */
  sample: string;
  unit: string;
}

export function prometheusName(name: string, unit: string, type: 'counter' | 'gauge' | 'histogram'): PrometheusName {
  let base = cleanName(name).replace(/^_+|_+$/g, '');
  if (base === '' || /^[0-9]/.test(base)) base = `_${base}`;
  const suffix = unitSuffix(unit, type === 'gauge');
  if (suffix !== '' && !base.endsWith(`_${suffix}`) && !base.endsWith(`_${suffix}_total`)) base = `${base}_${suffix}`;
  if (type === 'counter') {
    const family = base.endsWith('_total') ? base.slice(0, -'_total'.length) : base;
    return { family, sample: `${family}_total`, unit: suffix };
  }
  return { family: base, sample: base, unit: suffix };
}

export function labelName(key: string): string {
  let label = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
  if (/^[0-9]/.test(label)) label = `key_${label}`;
  return label === '' ? '_' : label;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}
