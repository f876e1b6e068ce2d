// The JSON Schema of a signature test case file (YAML or JSON): one case, or a
// list of cases. `tracee-sig test --schema` prints it for editors (e.g. the
// YAML language server's `# yaml-language-server: $schema=...`).
//
// The schema checks shape only. What it cannot say is checked by the loader,
// with the same file:line: path: problem messages: inline events go through
// the replay decoders, `recording` must be readable, `config` goes through
// `signaturesFor`, timestamps must be exact times.

const SEVERITY_NAMES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

const expectedFinding = {
  type: 'object',
  description:
    "One expected finding. Every key listed must equal the finding's; keys left out are not checked. " +
    'Data fields: ip, port, container_id, comm. Finding fields: severity, signature, event, timestamp.',
  additionalProperties: false,
  properties: {
    ip: { type: 'string', description: 'data field ip: the connected address as the connect event printed it (exact text)' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'data field port: the destination port' },
    container_id: { type: 'string', description: 'data field container_id' },
    comm: { type: 'string', description: "data field comm: the connecting task's name" },
    severity: {
      description: 'threat severity: 0-4 or INFO, LOW, MEDIUM, HIGH, CRITICAL',
      anyOf: [
        { type: 'integer', minimum: 0, maximum: 4 },
        { type: 'string', enum: SEVERITY_NAMES },
      ],
    },
    signature: { type: 'string', minLength: 1, description: 'the signature ID, e.g. TRC-1013' },
    event: { type: 'string', minLength: 1, description: 'the produced event name, e.g. k8s_api_connection' },
    timestamp: {
      description: "the triggering event's timestamp: RFC 3339 text or nanoseconds since the epoch (exact)",
      type: ['string', 'integer'],
    },
  },
} as const;

const testCase = {
  type: 'object',
  description: 'One signature test: events in (inline or a recording), the findings they must raise.',
  additionalProperties: false,
  required: ['name', 'expect'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'shown in reports and matched by --filter' },
    description: { type: 'string' },
    signature: {
      type: 'string',
      minLength: 1,
      description: "the signature id whose findings (and failures) the case checks, e.g. TRC-1013; 'all' compares every signature's findings (the default)",
    },
    config: { type: 'object', description: 'signature configuration (as tracee-sig --config)' },
    events: {
      type: 'array',
      minItems: 1,
      description: 'Tracee events in order, in either JSON shape (mixed allowed): objects, or JSON lines as strings',
      items: { type: ['object', 'string'] },
    },
    recording: {
      type: 'string',
      minLength: 1,
      description: 'a recording (tracee --output json lines, .gz allowed), relative to the case file',
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      required: ['findings'],
      properties: {
        findings: {
          type: 'array',
          description: 'the findings, in order; exactly this many; [] means no finding at all',
          items: expectedFinding,
        },
        malformed: {
          type: 'integer',
          minimum: 0,
          description: 'input lines the recording may have that cannot be decoded (default 0)',
        },
        counters: {
          type: 'object',
          description: "signature counters to check, by produced event name: {k8s_api_connection: {envTruncated: 1}}",
          additionalProperties: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
        },
      },
    },
  },
  // Exactly one input: `events` or `recording`.
  anyOf: [{ required: ['events'] }, { required: ['recording'] }],
  not: { required: ['events', 'recording'] },
} as const;

export const CASE_FILE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:tracee-sig:case-file',
  title: 'tracee-sig signature test case file',
  description: 'One test case, or a list of test cases.',
  definitions: { case: testCase, finding: expectedFinding },
  if: { type: 'array' },
  then: { type: 'array', minItems: 1, items: { $ref: '#/definitions/case' } },
  else: { $ref: '#/definitions/case' },
} as const;

export { SEVERITY_NAMES };
