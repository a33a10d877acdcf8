// The page's only way to the server: GraphQL at /graphql with the steward's API key.
// The key lives in this tab's sessionStorage: closing the tab signs the steward out.

const KEY_NAME = "cg.steward.apiKey";
const ENDPOINT = "/graphql";

/** An error the server answered (a GraphQL error code, or an HTTP status). */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_NAME);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_NAME, key);
  else sessionStorage.removeItem(KEY_NAME);
}

/** Run a GraphQL document; resolves with `data`, rejects with the first error. */
export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(`The API did not answer (${err.message}).`, "NETWORK");
  }
  if (response.status === 401) {
    throw new ApiError("This API key is not known to the server.", "UNAUTHENTICATED");
  }
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(`The API answered ${response.status} without JSON.`, "HTTP");
  }
  if (answer.errors && answer.errors.length) {
    const first = answer.errors[0];
    const code = (first.extensions && first.extensions.code) || "ERROR";
    throw new ApiError(explain(code, first.message), code);
  }
  return answer.data;
}

function explain(code, message) {
  if (code === "FORBIDDEN") {
    return `Refused: this API key's role may not do that (${message}). A steward or admin key is needed.`;
  }
  if (code === "UNAUTHENTICATED") return "Sign in with a steward API key first.";
  return message;
}

// --- the documents the page sends ------------------------------------------------------

export const SETTINGS = `{ reviewSettings { reviewThreshold autoMergeThreshold } }`;

export const QUEUE = `query Queue($filter: ReviewFilter, $sort: ReviewSort!, $first: Int!, $after: String) {
  reviewQueue(filter: $filter, sort: $sort, first: $first, after: $after) {
    total truncated sources
    statuses { status count }
    bands { min max count }
    pairs { leftKey rightKey status probability matchWeight queuedAt decidedBy
            thresholdDistance customerValue sameCustomer left right }
    pageInfo { hasNextPage endCursor } } }`;

const RECORD = `key source sourceId updatedAt
  profile { firstName lastName dateOfBirth address postcode city country }
  identifiers { key type value }`;

const CUSTOMER = `id status mergedInto recordCount
  profile { firstName lastName dateOfBirth city }`;

export const PAIR = `query Pair($l: String!, $r: String!) {
  reviewPair(leftKey: $l, rightKey: $r) {
    leftKey rightKey status probability matchWeight queuedAt decidedBy decidedAt reason
    priorWeight comparisons { comparison level gamma matchWeight tfAdjustment }
    left { ${RECORD} } right { ${RECORD} }
    leftCustomer { ${CUSTOMER} } rightCustomer { ${CUSTOMER} }
    sharedIdentifiers { key type value }
    preview { sameCustomer keepCustomerId retireCustomerId movingRecords recordCount blockedBy } } }`;

export const CUSTOMER_VIEW = `query Customer($id: ID!) {
  customer(id: $id) { id status mergedInto recordCount createdAt updatedAt
    profile { firstName lastName dateOfBirth address postcode city country
              lineage { attribute recordKey source rule } }
    records { ${RECORD} } } }`;

export const NETWORK = `query Network($id: ID!) {
  customerNetwork(id: $id) { customerId recordKeys explained
    links { leftKey rightKey kind reason probability }
    pairs { leftKey rightKey status probability leftCustomerId rightCustomerId } } }`;

export const AUDIT = `query Audit($subject: String!) {
  auditTrail(subjectId: $subject, first: 50) {
    id at actor action reason subjectType subjectId before after undoable } }`;

const RESULT = `auditId action moved { recordKey customerId } customers`;

export const APPROVE = `mutation Approve($l: String!, $r: String!, $reason: String!) {
  approveMatch(leftKey: $l, rightKey: $r, reason: $reason) { ${RESULT} } }`;

export const REJECT = `mutation Reject($l: String!, $r: String!, $reason: String!) {
  rejectMatch(leftKey: $l, rightKey: $r, reason: $reason) { ${RESULT} } }`;

export const SPLIT = `mutation Split($c: ID!, $keys: [String!]!, $reason: String!) {
  splitCustomer(customerId: $c, recordKeys: $keys, reason: $reason) { ${RESULT} } }`;

export const UNDO = `mutation Undo($id: String!) { undoOperation(auditId: $id) { ${RESULT} } }`;
