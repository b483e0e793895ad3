// Zero-code entry for ES-module apps: node --import sightline/register app.mjs
import { initFromRegister } from './dist/index.js';
initFromRegister();
