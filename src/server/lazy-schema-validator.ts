/**
 * The JSON Schema validator the SDK's server holds (it checks elicitation answers, which this
 * server never asks for). The SDK's default builds Ajv with its formats in the constructor,
 * several ms on the way to the first answer and again for every HTTP session; this one builds
 * the same validator at its first use.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation';

export class LazySchemaValidator implements jsonSchemaValidator {
  private ajv: AjvJsonSchemaValidator | null = null;

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    this.ajv ??= new AjvJsonSchemaValidator();
    return this.ajv.getValidator<T>(schema);
  }
}
