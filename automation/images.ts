/**
 * The real `ImageResolver`: the newest AMI owned by this account tagged with
 * the commit's full SHA (the tag key shared with the Packer template through
 * `images/image-tags.json`), via the AWS SDK v3 `DescribeImages`.
 *
 * The SDK is loaded on first use, so commands that never look an image up
 * (status, history, the memory engine in tests) do not pay for it. Nothing
 * here ran against AWS on the machine this was written on (no account, no
 * network); the selection and the errors are tested with a recorded client.
 */
import { ExitCode, UserError } from "../infra/errors.js";
import { IMAGE_TAGS } from "../infra/image-tags.js";
import type { ImageResolver } from "./api.js";

export interface ImageSummary {
  ImageId?: string;
  CreationDate?: string;
  State?: string;
}

export interface DescribeImagesQuery {
  Owners: string[];
  Filters: { Name: string; Values: string[] }[];
}

/** How the resolver asks EC2 (the SDK by default; a recorded answer in tests). */
export type DescribeImages = (region: string, query: DescribeImagesQuery) => Promise<ImageSummary[]>;

/** The query for a commit's images. */
export function imageQueryFor(commit: string): DescribeImagesQuery {
  return { Owners: ["self"], Filters: [{ Name: `tag:${IMAGE_TAGS.commit}`, Values: [commit] }] };
}

/** The newest available image, by creation date. */
export function newestImage(images: ImageSummary[]): string | undefined {
  return images
    .filter((i) => i.ImageId && (i.State === undefined || i.State === "available"))
    .sort((a, b) => Date.parse(b.CreationDate ?? "") - Date.parse(a.CreationDate ?? ""))[0]?.ImageId;
}

export function missingImage(commit: string, region: string): UserError {
  return new UserError(`no machine image found for commit ${commit} in ${region}`, {
    tryMessage: `Build it: npm run image:build -- --commit ${commit}`,
    nextSteps: [
      `The lookup: images owned by this account tagged ${IMAGE_TAGS.commit}=${commit}, newest first.`,
    ],
    // Like a commit that does not exist: the input names something absent, and nothing was touched.
    exitCode: ExitCode.usage,
  });
}

function awsError(region: string, error: unknown): UserError {
  const name = (error as { name?: string }).name ?? "Error";
  const credentials = /Credential|ExpiredToken|UnrecognizedClient|AuthFailure|InvalidClientTokenId/i.test(
    name,
  );
  return new UserError(`could not look images up in ${region}: ${name}`, {
    tryMessage: credentials
      ? "Check your AWS credentials (AWS_PROFILE, `aws sso login`, or the CI role)."
      : "Check the network and the region, then try again.",
    exitCode: ExitCode.failed,
    cause: error,
  });
}

/** DescribeImages through the AWS SDK, one client per region. */
export function sdkDescribeImages(): DescribeImages {
  const clients = new Map<
    string,
    Promise<{ send: (query: DescribeImagesQuery) => Promise<ImageSummary[]> }>
  >();
  const clientFor = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = import("@aws-sdk/client-ec2").then(({ EC2Client, DescribeImagesCommand }) => {
        const ec2 = new EC2Client({ region });
        return {
          send: async (query: DescribeImagesQuery) =>
            (await ec2.send(new DescribeImagesCommand(query))).Images ?? [],
        };
      });
      clients.set(region, client);
    }
    return client;
  };
  return async (region, query) => (await clientFor(region)).send(query);
}

export function createImageResolver(describe: DescribeImages = sdkDescribeImages()): ImageResolver {
  return {
    async imageFor(commit: string, region: string): Promise<string> {
      let images: ImageSummary[];
      try {
        images = await describe(region, imageQueryFor(commit));
      } catch (error) {
        throw awsError(region, error);
      }
      const id = newestImage(images);
      if (!id) throw missingImage(commit, region);
      return id;
    },
  };
}
