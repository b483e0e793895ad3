// `require('sightline/register')` (or node --require sightline/register) starts Sightline; it exports nothing.
export {};
