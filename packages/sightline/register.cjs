// Zero-code entry for CommonJS apps: node --require sightline/register app.cjs
require('./dist/index.cjs').initFromRegister();
