import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'dist-tsc/**', 'dist-bench/**', 'coverage/**'] }),
  {
    rules: {
      // The house style: pino everywhere, including start-up failures.
      'no-console': 'error'
    }
  }
]
