/**
 * A synthesized CloudFormation template read as plain JSON. Templates are deeply nested, untyped
 * documents whose shape each test asserts; this is the one place their values are `any`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the typed shim for untyped template JSON
export type Json = Record<string, any>;
