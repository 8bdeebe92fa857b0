import assert from "node:assert/strict";
import {
  createImageResolver,
  type DescribeImagesQuery,
  imageQueryFor,
  newestImage,
} from "../../automation/images.js";
import { UserError } from "../../infra/errors.js";
import { IMAGE_TAGS } from "../../infra/image-tags.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("image resolver", () => {
  it("asks for this account's images tagged with the full commit SHA", () => {
    assert.deepEqual(imageQueryFor(SHA), {
      Owners: ["self"],
      Filters: [{ Name: `tag:${IMAGE_TAGS.commit}`, Values: [SHA] }],
    });
  });

  it("picks the newest available image", () => {
    assert.equal(
      newestImage([
        { ImageId: "ami-old", CreationDate: "2026-01-01T00:00:00.000Z", State: "available" },
        { ImageId: "ami-new", CreationDate: "2026-03-01T00:00:00.000Z", State: "available" },
        { ImageId: "ami-pending", CreationDate: "2026-04-01T00:00:00.000Z", State: "pending" },
        { ImageId: "ami-mid", CreationDate: "2026-02-01T00:00:00.000Z" },
      ]),
      "ami-new",
    );
    assert.equal(newestImage([]), undefined);
  });

  it("resolves through the client, per region", async () => {
    const asked: [string, DescribeImagesQuery][] = [];
    const resolver = createImageResolver(async (region, query) => {
      asked.push([region, query]);
      return [{ ImageId: "ami-0aaaaaaaaaaaaaaaa", CreationDate: "2026-01-01T00:00:00.000Z" }];
    });
    assert.equal(await resolver.imageFor(SHA, "eu-west-1"), "ami-0aaaaaaaaaaaaaaaa");
    assert.equal(asked[0]?.[0], "eu-west-1");
  });

  it("says how to build a missing image", async () => {
    const resolver = createImageResolver(async () => []);
    await assert.rejects(resolver.imageFor(SHA, "us-east-1"), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, new RegExp(SHA));
      assert.equal(error.tryMessage, `Build it: npm run image:build -- --commit ${SHA}`);
      assert.equal(error.exitCode, 2, "a usage/config error: nothing was touched");
      return true;
    });
  });

  it("turns an AWS failure into a user error about credentials", async () => {
    const resolver = createImageResolver(async () => {
      throw Object.assign(new Error("no creds"), { name: "CredentialsProviderError" });
    });
    await assert.rejects(resolver.imageFor(SHA, "us-east-1"), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.tryMessage ?? "", /AWS credentials/);
      return true;
    });
  });

  it("loads the AWS SDK lazily and builds a real DescribeImages command", async () => {
    const { DescribeImagesCommand } = await import("@aws-sdk/client-ec2");
    const command = new DescribeImagesCommand(imageQueryFor(SHA));
    assert.deepEqual(command.input.Owners, ["self"]);
  });
});
