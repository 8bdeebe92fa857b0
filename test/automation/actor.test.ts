import assert from "node:assert/strict";
import { ciIdentity, isCi, isEmailActor, personOf, resolveActor } from "../../automation/actor.js";
import { UserError } from "../../infra/errors.js";

const noGit = async () => undefined;
const gitSays = (email: string) => async () => email;
const BITBUCKET = { BITBUCKET_BUILD_NUMBER: "7", BITBUCKET_STEP_TRIGGERER_UUID: "{ABC}" };

describe("actor", () => {
  it("in CI is the CI's verified identity: Bitbucket Pipelines' triggerer, GitHub's triggering actor", () => {
    assert.deepEqual(ciIdentity(BITBUCKET), { id: "bitbucket:{abc}", source: "bitbucket" });
    assert.deepEqual(
      ciIdentity({ GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octo", GITHUB_TRIGGERING_ACTOR: "Rerunner" }),
      { id: "github:rerunner", source: "github" },
    );
    assert.deepEqual(ciIdentity({ GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octo" }), {
      id: "github:octo",
      source: "github",
    });
    assert.equal(ciIdentity({ GITHUB_ACTOR: "octo" }), undefined, "not in Actions");
    assert.equal(ciIdentity({ BITBUCKET_STEP_TRIGGERER_UUID: "{abc}" }), undefined, "not in Pipelines");
  });

  it("knows CI from CI (not false/0), Bitbucket's build number or GitHub Actions", () => {
    assert.equal(isCi({ CI: "true" }), true);
    assert.equal(isCi({ CI: "1" }), true);
    assert.equal(isCi({ CI: "false" }), false);
    assert.equal(isCi({ BITBUCKET_BUILD_NUMBER: "3" }), true);
    assert.equal(isCi({ GITHUB_ACTIONS: "true" }), true);
    assert.equal(isCi({}), false);
  });

  it("--actor and FLIGHTDECK_ACTOR never override the CI's identity: ignored with a warning", async () => {
    const flag = await resolveActor("alice@example.com", { ...BITBUCKET, CI: "true" }, gitSays("x@y.z"));
    assert.deepEqual(flag.actor, { id: "bitbucket:{abc}", source: "bitbucket", verified: true, ci: true });
    assert.match(flag.warnings[0] ?? "", /--actor alice@example.com is ignored: in CI .* bitbucket:\{abc\}/);
    const variable = await resolveActor(
      undefined,
      { ...BITBUCKET, FLIGHTDECK_ACTOR: "bob@example.com" },
      noGit,
    );
    assert.equal(variable.actor.id, "bitbucket:{abc}");
    assert.match(variable.warnings[0] ?? "", /FLIGHTDECK_ACTOR bob@example.com is ignored/);
    const same = await resolveActor("bitbucket:{ABC}", BITBUCKET, noGit);
    assert.deepEqual(same.warnings, [], "naming yourself is no warning");
  });

  it("anywhere else is git's user.email, unverified; a claim naming someone else is ignored", async () => {
    assert.deepEqual(await resolveActor(undefined, {}, gitSays("Dev@Example.com")), {
      actor: { id: "dev@example.com", source: "git", verified: false, ci: false },
      warnings: [],
    });
    const claimed = await resolveActor("rita@example.com", {}, gitSays("dev@example.com"));
    assert.equal(claimed.actor.id, "dev@example.com");
    assert.match(
      claimed.warnings[0] ?? "",
      /--actor rita@example.com is ignored: at a terminal the actor is git's user.email/,
    );
  });

  it("in a CI that names nobody is the claim, else git's user.email, unverified either way", async () => {
    const claimed = await resolveActor(
      undefined,
      { CI: "true", FLIGHTDECK_ACTOR: "rita@example.com" },
      noGit,
    );
    assert.deepEqual(claimed, {
      actor: { id: "rita@example.com", source: "FLIGHTDECK_ACTOR", verified: false, ci: true },
      warnings: [],
    });
    const git = await resolveActor(undefined, { CI: "true" }, gitSays("bot@example.com"));
    assert.deepEqual(git.actor, { id: "bot@example.com", source: "git", verified: false, ci: true });
  });

  it("uses a claim, unverified, only when nothing else tells; fails clearly with none", async () => {
    assert.deepEqual((await resolveActor(undefined, { FLIGHTDECK_ACTOR: "Bob@example.com" }, noGit)).actor, {
      id: "bob@example.com",
      source: "FLIGHTDECK_ACTOR",
      verified: false,
      ci: false,
    });
    await assert.rejects(resolveActor(undefined, { FLIGHTDECK_ACTOR: "  " }, noGit), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.tryMessage ?? "", /user\.email/);
      return true;
    });
  });

  it("knows an e-mail actor from a CI identity", () => {
    assert.equal(isEmailActor("a@b.io"), true);
    assert.equal(isEmailActor("github:octo"), false);
    assert.equal(isEmailActor("bitbucket:{x@y}"), false);
  });

  it("finds the person an identity is, by any of theirs", () => {
    const people = {
      alice: { emails: ["Alice@Example.com"], bitbucket: "{A11CE000-0000-4000-8000-000000000001}" },
      bob: { emails: ["bob@example.com"], github: "Bobby" },
    };
    assert.equal(personOf("alice@example.com", people)?.name, "alice");
    assert.equal(personOf("bitbucket:{a11ce000-0000-4000-8000-000000000001}", people)?.name, "alice");
    assert.equal(personOf("github:bobby", people)?.name, "bob");
    assert.equal(personOf("mallory@example.com", people), undefined);
  });
});
