// The --onComplete handler of `graphql-inspector diff`: it writes every
// change the diff found, as JSON, to the file named by
// PARTNERDESK_CONTRACT_REPORT, for contract.Inspector.Diff to read.
// graphql-inspector does not call it when there is no change at all.
const fs = require('fs');

module.exports = function report({ breakingChanges, dangerousChanges, nonBreakingChanges }) {
  const changes = [...breakingChanges, ...dangerousChanges, ...nonBreakingChanges].map((c) => ({
    type: c.type,
    criticality: c.criticality.level,
    message: c.message,
    path: c.path ?? '',
  }));
  fs.writeFileSync(process.env.PARTNERDESK_CONTRACT_REPORT, JSON.stringify(changes));
};
