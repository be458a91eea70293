-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "shortId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentToken_shortId_key" ON "EnrollmentToken"("shortId");
