// `import 'sightline/register'` (or node --import sightline/register) starts Sightline; it exports nothing.
export {};
