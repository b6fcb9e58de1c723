#!/usr/bin/env node
/* global process */
// One command, two programs: the server (its single-dash flags, `run MODE`, `migration`) and the
// HTTP client (every other word, parsed GNU style: submit, list, logs, health, ...).
const first = process.argv[2];
const server = first === undefined || first.startsWith('-') || first === 'run' || first === 'migration';
await import(server ? '../dist/main.js' : '../../cli/dist/main.js');
