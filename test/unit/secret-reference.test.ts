import { describe, expect, it } from 'vitest'
import { parseSecretReference } from '../../src/secrets/reference.ts'

describe('parseSecretReference', () => {
  it('when the reference pins a version, then the resource name carries it', () => {
    expect(parseSecretReference('sm://my-project/api-key#3')).toStrictEqual({
      resourceName: 'projects/my-project/secrets/api-key/versions/3', project: 'my-project', secret: 'api-key', version: '3', pinned: true,
    })
  })

  it('when the reference names no version, then it is latest and not pinned', () => {
    expect(parseSecretReference('sm://my-project/API_KEY')).toMatchObject({ resourceName: 'projects/my-project/secrets/API_KEY/versions/latest', pinned: false })
  })

  it('when the project is a number and the version an alias, then both are accepted', () => {
    expect(parseSecretReference('sm://123456789012/api-key#prod').resourceName).toBe('projects/123456789012/secrets/api-key/versions/prod')
  })

  it.each([
    ['sm://my-project/api-key#0', 'has an invalid version "0": use a number, latest or an alias'],
    ['sm:///api-key', 'has an invalid project ID "" (expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION)'],
    ['sm://my-project/', 'expected sm://PROJECT/SECRET or sm://PROJECT/SECRET#VERSION, got "sm://my-project/"'],
  ])('when the reference is %s, then it is refused with a reason', (reference, reason) => {
    expect(() => parseSecretReference(reference)).toThrow(reason)
  })
})
