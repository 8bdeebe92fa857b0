/**
 * A database's engine version and its minor upgrades, which must agree.
 *
 * RDS applies minor version upgrades itself when `autoMinorVersionUpgrade` is
 * on. A pinned minor version (`16.4`) in the program then differs from what
 * runs after AWS upgrades it (`16.6`): every later update either reports drift
 * or tries to go back (which RDS refuses). A major version alone (`16`) is what
 * RDS and the AWS provider accept with automatic minor upgrades: RDS picks the
 * minor and the provider compares the prefix with what runs (Terraform AWS
 * provider, `aws_db_instance` `engine_version`: "If auto_minor_version_upgrade
 * is enabled, you can provide a prefix of the version such as 8.0 (for 8.0.36)";
 * the version that runs is `engine_version_actual`).
 *
 * So the config says which, by the form of `engineVersion`:
 * - a major version (`16`, MySQL `8.0`): RDS keeps it on the newest minor, in
 *   the maintenance window; `autoMinorVersionUpgrade` is on (and may say so);
 * - a pinned minor (`16.4`, MySQL `8.0.36`): the version changes only when
 *   the config does; `autoMinorVersionUpgrade` is off (and may say so).
 * Anything else (a pinned minor with upgrades on, a major with upgrades off) is
 * refused with the choice to make.
 */

export type DatabaseEngine = "postgres" | "mysql";

/** How many numbers a major version has: PostgreSQL `16`, MySQL `8.0`. */
const MAJOR_PARTS: Record<DatabaseEngine, number> = { postgres: 1, mysql: 2 };

/** Whether `version` pins a minor version of `engine` (more numbers than its major version has). */
export function pinsMinorVersion(engine: DatabaseEngine, version: string): boolean {
  return version.split(".").length > MAJOR_PARTS[engine];
}

/** Whether RDS upgrades the minor version itself: what the config says, else what the version's form implies. */
export function autoMinorVersionUpgrade(db: {
  engine: DatabaseEngine;
  engineVersion: string;
  autoMinorVersionUpgrade?: boolean;
}): boolean {
  return db.autoMinorVersionUpgrade ?? !pinsMinorVersion(db.engine, db.engineVersion);
}

/** A problem of the database section: where (under `database`) and what. */
export interface VersionProblem {
  path: string[];
  message: string;
}

/** The contradictions between `engineVersion` and `autoMinorVersionUpgrade` (none when they agree). */
export function engineVersionProblems(db: {
  engine: DatabaseEngine;
  engineVersion: string;
  autoMinorVersionUpgrade?: boolean;
}): VersionProblem[] {
  const parts = db.engineVersion.split(".");
  const major = parts.slice(0, MAJOR_PARTS[db.engine]).join(".");
  if (parts.length < MAJOR_PARTS[db.engine]) {
    return [
      {
        path: ["engineVersion"],
        message: `is not a ${db.engine} version: use a major version like ${db.engine === "mysql" ? "8.0" : "16"} or a pinned minor like ${db.engine === "mysql" ? "8.0.36" : "16.4"}`,
      },
    ];
  }
  const pinned = pinsMinorVersion(db.engine, db.engineVersion);
  if (pinned && db.autoMinorVersionUpgrade === true) {
    return [
      {
        path: ["autoMinorVersionUpgrade"],
        message:
          `contradicts engineVersion ${db.engineVersion}, a pinned minor version: RDS would upgrade the minor ` +
          `and every later update would see drift. Either set engineVersion to the major version ${major} ` +
          "(RDS keeps it on the newest minor) or set autoMinorVersionUpgrade to false (or leave it out)",
      },
    ];
  }
  if (!pinned && db.autoMinorVersionUpgrade === false) {
    return [
      {
        path: ["autoMinorVersionUpgrade"],
        message:
          `contradicts engineVersion ${db.engineVersion}, a major version: without automatic minor upgrades ` +
          "the minor version is whatever RDS picks at creation and never changes. Either pin the minor " +
          `version (e.g. ${major}.${db.engine === "mysql" ? "36" : "4"}) or set autoMinorVersionUpgrade to true (or leave it out)`,
      },
    ];
  }
  return [];
}
