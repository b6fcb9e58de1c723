import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { formatOf, parseInput, specBody } from './spec-file.js';

const YAML_SPEC = `name: greet
inputs:
  who: nobody
  keep: me
tasks:
  - name: hi
    image: busybox
    run: echo hello
`;

describe('the job spec file', () => {
  it('is sent as it is: YAML as text/yaml, JSON as application/json', () => {
    expect(specBody('job.yaml', YAML_SPEC, [])).toEqual({ text: YAML_SPEC, contentType: 'text/yaml' });
    expect(specBody('-', '{"name":"x"}', [])).toEqual({
      text: '{"name":"x"}',
      contentType: 'application/json',
    });
    expect(formatOf('job.json', '')).toBe('json');
    expect(formatOf('-', 'name: x')).toBe('yaml');
  });

  it('takes --input over the inputs of the file, keeping the others', () => {
    const body = specBody('job.yaml', YAML_SPEC, [
      ['who', 'world'],
      ['new', 'a=b'],
    ]);
    expect(body.contentType).toBe('text/yaml');
    expect(yaml.load(body.text)).toMatchObject({
      name: 'greet',
      inputs: { who: 'world', keep: 'me', new: 'a=b' },
    });
    const json = specBody('job.json', '{"name":"x","tasks":[]}', [['who', 'world']]);
    expect(JSON.parse(json.text)).toEqual({ name: 'x', tasks: [], inputs: { who: 'world' } });
  });

  it('refuses a malformed --input and a file it cannot parse, as usage errors', () => {
    expect(() => parseInput('=x')).toThrow(/not KEY=VALUE/);
    expect(parseInput('k=')).toEqual(['k', '']);
    expect(() => specBody('job.json', '{nope', [['a', 'b']])).toThrow(
      expect.objectContaining({ exitCode: 2 }) as Error,
    );
    expect(() => specBody('job.yaml', '- a list', [['a', 'b']])).toThrow(/must be a mapping/);
  });
});
