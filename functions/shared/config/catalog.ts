/**
 * The deployed tier catalog, validated once per cold start. The JSON is bundled into each
 * function, so a bad catalog fails the function at load with InvalidTierCatalog naming the field.
 */
import catalogJson from './tiers.json' with { type: 'json' };
import { loadTierCatalog, type TierCatalog } from './tier-catalog.ts';

/** The tier catalog every step plans and validates against. */
export const tierCatalog: TierCatalog = loadTierCatalog(catalogJson);
