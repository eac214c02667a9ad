// The Go template subset: output for supported constructs (as Go's text/template with Alloy's
// functions prints it; the hashes are from Python's hashlib and coreutils' sha256sum), runtime
// errors, and what is rejected up front.
import { describe, expect, it } from 'vitest';
import { parseGoTemplate, TemplateError } from '../../../src/transforms/process-logs/go-template.js';

const data = new Map([
  ['Value', 'Hello World'],
  ['level', 'warn'],
  ['n', '42'],
  ['empty', ''],
  ['Entry', 'the line'],
]);
const exec = (text: string) => parseGoTemplate(text).execute(data);

describe('Go template subset', () => {
  it.each([
    ['plain text', 'plain text'],
    ['{{ .level }}', 'warn'],
    ['{{.missing}}', '<no value>'],
    ['{{ ToUpper .Value }}', 'HELLO WORLD'],
    ['{{ .Value | ToLower }}', 'hello world'],
    ['{{ .Value | ToLower | ToUpper }}', 'HELLO WORLD'],
    ['{{ Replace .Value "o" "0" -1 }}', 'Hell0 W0rld'],
    ['{{ Replace .Value "o" "0" 1 }}', 'Hell0 World'],
    ['{{ Trim "xxhixx" "x" }}', 'hi'],
    ['{{ TrimLeft "xxhixx" "x" }}', 'hixx'],
    ['{{ TrimPrefix .Value "Hello " }}', 'World'],
    ['{{ TrimSuffix .Value " World" }}', 'Hello'],
    ['{{ TrimSpace "  a b  " }}', 'a b'],
    ['{{ Hash "salt" "x" }}', 'da3408f09c343ea37593ac4c5cfc702d76be39bec3b9a480b6a247a1c95b41b4'],
    ['{{ Sha2Hash "salt" "x" }}', 'c9ef43a03d58f2cb9b0c4b069c179595739f5181a5565c8db5dbb124564ea819'],
    ['{{ regexReplaceAll "(o)" .Value "[$1]" }}', 'Hell[o] W[o]rld'],
    ['{{ regexReplaceAll "a*" "baaac" "-" }}', '-b-c-'],
    ['{{ regexReplaceAllLiteral "o" .Value "$1" }}', 'Hell$1 W$1rld'],
    ['{{ if eq .level "warn" }}W{{ else }}other{{ end }}', 'W'],
    ['{{ if eq .level "info" }}I{{ else if eq .level "warn" }}W{{ else }}?{{ end }}', 'W'],
    ['{{ if .empty }}yes{{ else }}no{{ end }}', 'no'],
    ['{{ if .missing }}yes{{ end }}', ''],
    ['{{ if and .level (not .empty) }}both{{ end }}', 'both'],
    ['{{ or .empty "fallback" }}', 'fallback'],
    ['{{ .missing | default "dflt" }}', 'dflt'],
    ['{{ default "dflt" .level }}', 'warn'],
    ['{{ len .Entry }}', '8'],
    ['{{ index . "level" }}', 'warn'],
    ['{{ printf "%s=%q %d%%" .level .Value 7 }}', 'warn="Hello World" 7%'],
    ['{{ print 1 2 "a" "b" }}', '1 2ab'],
    ['{{ lower "AbC" }}-{{ upper "aBc" }}-{{ title "hello there" }}', 'abc-ABC-Hello There'],
    ['{{ trimAll "$" "$5.00$" }}', '5.00'],
    ['{{ replace " " "-" .Value }}', 'Hello-World'],
    [
      '{{ contains "World" .Value }} {{ hasPrefix "He" .Value }} {{ hasSuffix "x" .Value }}',
      'true true false',
    ],
    ['{{ trunc 5 .Value }}|{{ trunc -5 .Value }}|{{ substr 1 4 .Value }}', 'Hello|World|ell'],
    ['{{ repeat 3 "ab" }}', 'ababab'],
    ['{{ quote .level }} {{ squote .level }}', '"warn" \'warn\''],
    ['{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 "4" }} {{ div 7 2 }} {{ mod 7 2 }}', '6 -2 8 3 1'],
    ['{{ atoi .n | add 1 }}', '43'],
    ['{{ b64enc "hi" }} {{ b64dec "aGk=" }}', 'aGk= hi'],
    ['{{ sha256sum "x" }}', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'],
    ['{{ regexMatch "^W" .level }} {{ regexFind "[0-9]+" "ab12cd34" }}', 'false 12'],
    ['{{ ternary "y" "n" true }}{{ coalesce "" .missing "c" }}', 'yc'],
    ['{{ "a\\tb" }}{{ `raw\\n` }}', 'a\tbraw\\n'],
    ['{{/* a comment */}}x', 'x'],
    ['a  {{- .level -}}  b', 'awarnb'],
    ['{{ 3 }} {{ 1.5 }} {{ true }} {{ nil }}', '3 1.5 true <nil>'],
    ['{{ (ToUpper .level) }}', 'WARN'],
    ['{{ lt 1 2 }} {{ ge "b" "a" }} {{ ne .level "x" }}', 'true true true'],
  ])('%s', (text, expected) => {
    expect(exec(text)).toBe(expected);
  });

  it.each([
    ['{{ ToUpper .missing }}', /invalid value; expected string/],
    ['{{ ToUpper 3 }}', /expected string/],
    ['{{ ToUpper "a" "b" }}', /wrong number of args/],
    ['{{ .level.deeper }}', /can't evaluate field deeper/],
    ['{{ eq .level 3 }}', /incompatible types/],
    ['{{ regexReplaceAll "(" .level "x" }}', /regexp/],
    ['{{ div 1 0 }}', /divide by zero/],
  ])('fails at run time on %s', (text, message) => {
    expect(() => exec(text)).toThrow(TemplateError);
    expect(() => exec(text)).toThrow(message);
  });

  it.each([
    '{{ range .x }}{{ end }}',
    '{{ with .x }}{{ end }}',
    '{{ template "x" }}',
    '{{ $v := .x }}',
    '{{ unknownFunc }}',
    '{{ if .x }}',
    '{{ end }}',
    '{{ .x',
    '{{ "unterminated }}',
    '{{ .x | }}',
    '{{ "lit" .x }}',
    '{{ .x | "lit" }}',
  ])('rejects %j when parsing', (text) => {
    expect(() => parseGoTemplate(text)).toThrow();
  });
});
