/**
 * Finding the universal machine image a stack boots from.
 *
 * Every commit has its own image, built by Packer and tagged with the full commit
 * SHA (tag keys shared with the template through `images/image-tags.json`). An
 * explicit `image.amiId` overrides the lookup (for a hand-built or shared image).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.js";
import { ExitCode, UserError } from "./errors.js";
import { IMAGE_TAGS } from "./image-tags.js";

/** What the program needs to know about the image. */
export interface ImageRef {
  imageId: pulumi.Output<string>;
  /** The image's root device (`/dev/xvda` on Amazon Linux, `/dev/sda1` on Ubuntu), for the root volume mapping. */
  rootDeviceName: pulumi.Output<string>;
}

/** The `aws.ec2.getAmi` arguments for a stack's image, or a UserError when neither commit nor AMI id is set. */
export function imageQuery(image: StackConfig["image"]): aws.ec2.GetAmiArgs {
  if (image.amiId) {
    // An explicit id may be an image shared from another account: no owner filter, the id is exact.
    return { filters: [{ name: "image-id", values: [image.amiId] }] };
  }
  if (image.commit) {
    return {
      owners: ["self"],
      mostRecent: true,
      filters: [{ name: `tag:${IMAGE_TAGS.commit}`, values: [image.commit] }],
    };
  }
  throw new UserError("No image to deploy: set `image.commit` or `image.amiId` in the stack config.", {
    tryMessage: "`flightdeck deploy <env> --commit <sha>` sets image.commit for you.",
    nextSteps: ["Or set flightdeck:image.amiId to an explicit AMI id.", "Offline plans take --commit <sha>."],
    exitCode: ExitCode.usage,
  });
}

/** How to build a commit's image. */
export function buildCommand(commit: string): string {
  return `npm run image:build -- --commit ${commit}`;
}

/** The error for a commit whose image cannot be found (never built, or built in another region). */
export function missingImageError(commit: string, region: string, cause?: unknown): UserError {
  // The build command is in the message itself: under the Pulumi CLI only the message is shown.
  return new UserError(`No machine image found for commit ${commit} in ${region}: ${buildCommand(commit)}`, {
    tryMessage: `Build it: ${buildCommand(commit)}`,
    nextSteps: [
      `The lookup is: images owned by this account tagged ${IMAGE_TAGS.commit}=${commit}, newest first.`,
      "Or set flightdeck:image.amiId to an explicit AMI id.",
    ],
    exitCode: ExitCode.failed,
    cause,
  });
}

/** The error for an explicit AMI id that does not resolve. */
function missingAmiError(amiId: string, region: string, cause?: unknown): UserError {
  return new UserError(`The image ${amiId} (flightdeck:image.amiId) is not visible in ${region}.`, {
    tryMessage: "Check the id and region, or remove image.amiId to look the image up by commit.",
    exitCode: ExitCode.failed,
    cause,
  });
}

/**
 * Look the image up. Uses the promise form of `getAmi` (its arguments are plain
 * config values) so a failed lookup can be annotated with what to do; the real
 * provider fails a lookup with no match ("Your query returned no results"), and
 * that failure surfaces as this UserError in the update's diagnostics.
 */
export function lookupImage(image: StackConfig["image"], region: string, parent?: pulumi.Resource): ImageRef {
  const query = imageQuery(image);
  const found = aws.ec2.getAmi(query, { parent }).catch((cause: unknown) => {
    throw image.amiId
      ? missingAmiError(image.amiId, region, cause)
      : missingImageError(image.commit ?? "", region, cause);
  });
  const result = pulumi.output(found);
  return { imageId: result.id, rootDeviceName: result.rootDeviceName };
}
