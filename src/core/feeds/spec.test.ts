/** The feeds file: every option, its defaults, and one problem per bad line (file line named). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration, parseFeedsFile } from './spec.js';

const DIR = '/etc/sipprot';

describe('feeds file', () => {
  it('reads list and apiban feeds with their defaults', () => {
    const { specs, problems } = parseFeedsFile(
      [
        '# shared blocklists',
        'voipbl   list   https://voipbl.org/update/   interval=4h ttl=1d',
        '',
        'apiban   apiban https://apiban.org/api key=abcdEFGH1234   # APIBAN',
        'mine     list   our-bad.txt enabled=no max=5000 min_ratio=0.2',
      ].join('\n'),
      DIR,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      specs.map((s) => [
        s.name,
        s.type,
        s.source,
        s.enabled,
        s.interval,
        s.ttl,
        s.max,
        s.minRatio,
        s.key,
        s.line,
      ]),
      [
        ['voipbl', 'list', 'https://voipbl.org/update/', true, 14400, 86400, 200000, 0.5, null, 2],
        // apiban: every 10 minutes; an address is named once, so it lives 7 days.
        ['apiban', 'apiban', 'https://apiban.org/api', true, 600, 604800, 200000, 0.5, 'abcdEFGH1234', 4],
        // A relative file is beside the feeds file.
        ['mine', 'list', '/etc/sipprot/our-bad.txt', false, 3600, 10800, 5000, 0.2, null, 5],
      ],
    );
  });

  const bad: Array<[string, RegExp]> = [
    ['Voip list https://x.example/', /feed name 'Voip' must be/],
    ['a csv https://x.example/', /type must be list or apiban, not 'csv'/],
    ['a list', /the source \(URL or file\) is missing/],
    [
      'a list ftp://x.example/l',
      /source must be an http:\/\/ or https:\/\/ URL, or a file in the config directory/,
    ],
    ['a list /etc/shadow', /file in the config directory \/etc\/sipprot/],
    ['a list ../../etc/shadow', /file in the config directory/],
    ['a list https://x.example/ interval=5s', /interval=5s: must be a duration from 1m to 7d/],
    ['a list https://x.example/ ttl=1000d', /ttl=1000d: must be a duration from 10m to 90d/],
    ['a list https://x.example/ interval=2h ttl=1h', /ttl \(1h\) is shorter than interval \(2h\)/],
    ['a list https://x.example/ max=0', /max=0: must be a whole number 1-1000000/],
    ['a list https://x.example/ min_ratio=2', /min_ratio=2: must be a number from 0 to 1/],
    ['a list https://x.example/ enabled=maybe', /enabled=maybe: must be yes or no/],
    ['a list https://x.example/ colour=red', /unknown option 'colour'/],
    ['a list https://x.example/ interval', /'interval' is not OPTION=VALUE/],
    ['a list https://x.example/ max=5 max=6', /option 'max' is given twice/],
    ['b apiban https://apiban.org/api', /apiban needs key=YOUR_KEY/],
  ];
  for (const [line, why] of bad) {
    it(`refuses: ${line}`, () => {
      const { specs, problems } = parseFeedsFile(`# x\n${line}\n`, DIR);
      assert.equal(specs.length, 0);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.line, 2);
      assert.match(problems[0]!.message, why);
    });
  }

  it('never repeats an API key in a problem', () => {
    const { problems } = parseFeedsFile('b apiban https://apiban.org/api key=sec!ret\n', DIR);
    assert.equal(problems.length, 1);
    assert.doesNotMatch(problems[0]!.message, /sec!ret/);
  });

  it('a name defined twice: the first holds, the second is a problem', () => {
    const { specs, problems } = parseFeedsFile(
      'a list https://x.example/1\na list https://x.example/2\n',
      DIR,
    );
    assert.deepEqual(
      specs.map((s) => s.source),
      ['https://x.example/1'],
    );
    assert.match(problems[0]!.message, /feed a is already defined on line 1/);
  });

  it('durations', () => {
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('10m'), 600);
    assert.equal(parseDuration('7D'), 604800);
    assert.equal(parseDuration('1w'), null);
    assert.equal(formatDuration(14400), '4h');
    assert.equal(formatDuration(5400), '90m');
    assert.equal(formatDuration(45), '45s');
  });
});
