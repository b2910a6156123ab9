/**
 * Where moto is known to differ from AWS. Each entry names the scenario and the result paths
 * where moto's answer differs, what moto does, what AWS does (with the AWS page that says so),
 * and, where the page gives it, the value the local cloud must show at those paths: the local
 * cloud follows AWS, not moto. A difference not listed here is a disagreement.
 */
export interface KnownDeviation {
  readonly scenario: string;
  /** Result paths (as the runner prints them) whose difference this entry explains. */
  readonly paths: readonly string[];
  readonly moto: string;
  readonly awsBehaviour: string;
  /** The AWS documentation page for what AWS does. */
  readonly source: string;
  /** What the local result must be at these paths (AWS's documented behaviour). */
  readonly aws?: Readonly<Record<string, unknown>>;
}

export const knownDeviations: readonly KnownDeviation[] = [];
