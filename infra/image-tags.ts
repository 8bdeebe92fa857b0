/**
 * The tag keys an image is built with (by the Packer template) and looked up by
 * (by `infra/`). Defined once, in `images/image-tags.json`, which the Packer
 * template reads too; a test proves both sides agree.
 */
import tags from "../images/image-tags.json" with { type: "json" };

export const IMAGE_TAGS: Readonly<{ commit: string; branch: string; builtAt: string; project: string }> =
  tags;

/** The value of the project tag on every image flightdeck builds. */
export const IMAGE_PROJECT = "flightdeck";
