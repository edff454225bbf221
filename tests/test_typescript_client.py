"""TypeScript clients typed from the document compile the README's own requests.

openapi-typescript 7 types a schema property that has a `default` as always present, so a
`default` on a request field (`category`, `cookies`) made the README's
`POST /incomes {description, amount}` fail `tsc --strict`. This test generates the types from the
document the app serves and compiles the README's bodies and a login against them.

Needs node and the pinned packages of tests/typescript (`make typescript`, which runs `npm ci`
there); skipped without them.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from live import ROOT

PACKAGES = ROOT / "tests" / "typescript"
OPENAPI_TYPESCRIPT = PACKAGES / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
TSC = PACKAGES / "node_modules" / "typescript" / "bin" / "tsc"
TIMEOUT = 120  # seconds; each step takes about 2
# `curl ... -X POST http://127.0.0.1:5000/incomes \ ... -d '{...}'`: the README's creates.
README_CREATE = re.compile(
    r"-X POST http://127\.0\.0\.1:5000/(incomes|expenses) \\\n.*?-d '([^']*)'", re.S
)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (OPENAPI_TYPESCRIPT.exists() and TSC.exists()),
    reason="needs node and `make typescript` (npm ci in tests/typescript)",
)


def node(*arguments: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", *map(str, arguments)], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )


def readme_creates() -> list[tuple[str, dict]]:
    readme = (ROOT / "README.md").read_text()
    return [(path, json.loads(body)) for path, body in README_CREATE.findall(readme)]


def test_the_readme_finds_its_creates():
    assert readme_creates() == [
        ("incomes", {"description": "lottery", "amount": 1000.0}),
        ("expenses", {"amount": 20, "description": "lottery ticket"}),
        ("incomes", {"description": "rounding", "amount": 1.005}),
    ]


def test_the_readme_requests_compile_against_the_generated_types(app, tmp_path):
    (tmp_path / "openapi.json").write_text(json.dumps(app.extensions["openapi"]))
    generated = node(OPENAPI_TYPESCRIPT, "openapi.json", "-o", "api.d.ts", cwd=tmp_path)
    assert generated.returncode == 0, generated.stdout + generated.stderr

    names = [f"{path}{n}" for n, (path, _) in enumerate(readme_creates())]
    creates = "\n".join(
        f'const {name}: Body<"/{path}"> = {json.dumps(body)};'
        for name, (path, body) in zip(names, readme_creates(), strict=True)
    )
    (tmp_path / "example.ts").write_text(
        f"""import type {{ paths }} from "./api";

type Body<P extends "/incomes" | "/expenses"> =
  paths[P]["post"]["requestBody"]["content"]["application/json"];
type Login = paths["/auth/login"]["post"];

{creates}
const login: Login["requestBody"]["content"]["application/json"] = {{
  username: "bruno",
  password: "correct horse battery",
}};
const browser: Login["requestBody"]["content"]["application/json"] = {{
  ...login,
  cookies: true,
}};

// Either answer of a login: the tokens, or (with cookies) none in the body.
export function accessToken(
  answer: Login["responses"][200]["content"]["application/json"],
): string | null {{
  return answer.token_type === "Bearer" ? answer.access_token : null;
}}
export const bodies = [{", ".join(names)}, browser];
"""
    )
    compiled = node(
        TSC, "--strict", "--noEmit", "--target", "es2022", "--module", "es2022",
        "--moduleResolution", "bundler", "example.ts", cwd=tmp_path,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
