/**
 * Container images of the tier catalog that live in private ECR repositories: those need pull
 * rights on their repository; any other image (public.ecr.aws, Docker Hub) is pulled anonymously.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { TierCatalog } from '../../functions/shared/config/tier-catalog.ts';

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@sha256:digest]` */
const privateEcrImage =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)(?::([\w.-]+)|@(sha256:[a-f0-9]{64}))?$/;

/** A private ECR image's parts. */
export interface PrivateEcrImage {
  readonly repositoryArn: string;
  readonly repositoryName: string;
  /** The tag or digest; `latest` when the image names neither. */
  readonly reference: string;
}

/** The repository of a private ECR image, or undefined for any other image. */
export function parsePrivateEcrImage(image: string): PrivateEcrImage | undefined {
  const match = privateEcrImage.exec(image);
  if (match === null) return undefined;
  const [, account, region, repositoryName, tag, digest] = match as unknown as [
    string,
    string,
    string,
    string,
    string?,
    string?,
  ];
  const partition = RegionInfo.get(region).partition ?? 'aws';
  return {
    repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}`,
    repositoryName,
    reference: tag ?? digest ?? 'latest',
  };
}

/** The ECR repositories of every image the catalog's silo tiers run, sorted and distinct. */
export function siloRepositoryArns(catalog: TierCatalog): string[] {
  const arns = new Set<string>();
  for (const tier of Object.values(catalog.tiers)) {
    if (tier.isolationModel === 'pool') continue;
    for (const service of tier.services) {
      const parsed = parsePrivateEcrImage(service.image);
      if (parsed !== undefined) arns.add(parsed.repositoryArn);
    }
  }
  return [...arns].sort();
}
