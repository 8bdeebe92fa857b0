import assert from "node:assert/strict";
import { actorFromEnvironment, isEmailActor, resolveActor } from "../../automation/actor.js";
import { UserError } from "../../infra/errors.js";

const noGit = async () => undefined;

describe("actor", () => {
  it("prefers --actor, then FLIGHTDECK_ACTOR", async () => {
    assert.deepEqual(
      await resolveActor("Alice@Example.com", { FLIGHTDECK_ACTOR: "bob@example.com" }, noGit),
      {
        id: "alice@example.com",
        source: "flag",
      },
    );
    assert.deepEqual(await resolveActor(undefined, { FLIGHTDECK_ACTOR: "bob@example.com" }, noGit), {
      id: "bob@example.com",
      source: "FLIGHTDECK_ACTOR",
    });
  });

  it("reads Bitbucket Pipelines' triggerer, then GitHub's triggering actor", () => {
    assert.deepEqual(
      actorFromEnvironment(undefined, {
        BITBUCKET_BUILD_NUMBER: "7",
        BITBUCKET_STEP_TRIGGERER_UUID: "{abc}",
      }),
      {
        id: "bitbucket:{abc}",
        source: "bitbucket",
      },
    );
    assert.deepEqual(
      actorFromEnvironment(undefined, {
        GITHUB_ACTIONS: "true",
        GITHUB_ACTOR: "octo",
        GITHUB_TRIGGERING_ACTOR: "rerunner",
      }),
      { id: "github:rerunner", source: "github" },
    );
    assert.deepEqual(actorFromEnvironment(undefined, { GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octo" }), {
      id: "github:octo",
      source: "github",
    });
    assert.equal(actorFromEnvironment(undefined, { GITHUB_ACTOR: "octo" }), undefined, "not in Actions");
  });

  it("falls back to git's user.email, and fails clearly with none", async () => {
    assert.deepEqual(await resolveActor(undefined, {}, async () => "Dev@Example.com"), {
      id: "dev@example.com",
      source: "git",
    });
    await assert.rejects(resolveActor(undefined, { FLIGHTDECK_ACTOR: "  " }, noGit), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.tryMessage ?? "", /--actor/);
      return true;
    });
  });

  it("knows an e-mail actor from a CI identity", () => {
    assert.equal(isEmailActor("a@b.io"), true);
    assert.equal(isEmailActor("github:octo"), false);
    assert.equal(isEmailActor("bitbucket:{x@y}"), false);
  });
});
