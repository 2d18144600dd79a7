// env reads what e2e_test.go passes a test file through the environment.
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e/`);
  return v;
}
