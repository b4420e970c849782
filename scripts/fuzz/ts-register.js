// `node --import ./scripts/fuzz/ts-register.js ...`: registers ts-loader.js (run src/*.ts directly).
import { register } from 'node:module'

register('./ts-loader.js', import.meta.url)
