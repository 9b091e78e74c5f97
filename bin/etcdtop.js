#!/usr/bin/env node
import {createRequire} from 'node:module';

// V8's code cache first (bin/compile-cache.cjs), then the CLI: modules compiled after this reuse it.
createRequire(import.meta.url)('./compile-cache.cjs')();
await import('../dist/bundle/cli.js');
