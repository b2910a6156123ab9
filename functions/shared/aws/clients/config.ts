/** Settings every SDK client shares: the SDK retries first (standard mode, 3 attempts); what still fails goes back to the workflow. */
export const sdkClientConfig = { maxAttempts: 3 } as const;
