// Replaced by the package version at build time; "dev" when run from source (tests).
declare const SIGHTLINE_VERSION: string | undefined;
export const SDK_VERSION: string = typeof SIGHTLINE_VERSION === 'string' ? SIGHTLINE_VERSION : 'dev';
